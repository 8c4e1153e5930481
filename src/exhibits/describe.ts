/** One exhibit with everything `custody show` tells about it, including the testimony it belongs to. */
import type {Case} from '../case/case.js'
import {listTestimonies, resolveExhibitOrWitness, testimoniesByExhibit, type TestimonyView} from '../testimony/testimonies.js'
import {getExhibit, type ExhibitView} from './exhibits.js'

export interface DescribedExhibit extends ExhibitView {
  /** When the exhibit is a testimony (its original is the first statement). */
  testimony: TestimonyView | null
  /** The testimonies this exhibit is a later statement version or an attachment of. */
  partOf: Array<{testimony: string; witness: string; role: string}>
}

/** `ref` is an exhibit ID, or a witness code standing for that witness's testimony. */
export function describeExhibit(kase: Case, ref: string): DescribedExhibit {
  const exhibit = getExhibit(kase, resolveExhibitOrWitness(kase, ref))

  const views = listTestimonies(kase)
  const testimony = views.find((t) => t.exhibit === exhibit.exhibit) ?? null
  const partOf = (testimoniesByExhibit(views).get(exhibit.exhibit) ?? [])
    .filter((t) => t.exhibit !== exhibit.exhibit)
    .map((t) => {
      const version = t.versions.find((v) => v.exhibit === exhibit.exhibit)
      return {testimony: t.exhibit, witness: t.witness, role: version === undefined ? 'attachment' : `statement version ${version.version}`}
    })
  return {...exhibit, testimony, partOf}
}
